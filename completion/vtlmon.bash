# bash completion for vtlmon(1): sub-commands, their options, and file names for the
# options and arguments that name a file. Installed as
# $(PREFIX)/share/bash-completion/completions/vtlmon (make install); to try it from the
# source tree: `source completion/vtlmon.bash`.
#
# Adding a sub-command CMD (monitor/main.c's command table): add CMD to
# _vtlmon_commands, and a `CMD)` line to _vtlmon_options (every option of
# `vtlmon CMD --help`), to _vtlmon_file_options (those that take a file) and to
# _vtlmon_value_options (those that take another value), and, if CMD takes
# positional arguments, a case in _vtlmon. tests/cli/completion.sh fails until every
# command of `vtlmon help` and every option of `vtlmon CMD --help` is here.

_vtlmon_commands="run policy inspect report caps bench help"

# The options of sub-command $1 (word lists; `--help` is everyone's).
_vtlmon_options()
{
	case $1 in
	run) echo "--vtl0 --vtl1 --policy --kernel --initrd --append --mem --vtl1-mem --cpus
		--events --timeout --module --quiet -q --state-out --mem-prealloc --no-sandbox --verbose -v" ;;
	inspect | caps) echo "--json" ;;
	policy) echo "--host --mem" ;;
	report) echo "--svg --json" ;;
	bench) echo "--runs --smp-cpus --protect-ranges --protect-pairs --cr-period --cr-samples --cr-load --cr-only --json" ;;
	esac
	echo "--help"
}

# The options of sub-command $1 whose argument is a file name.
_vtlmon_file_options()
{
	case $1 in
	run) echo "--vtl0 --vtl1 --policy --kernel --initrd --events --module --state-out" ;;
	report) echo "--svg" ;;
	esac
}

# The options of sub-command $1 whose argument is a value that is not a file name.
_vtlmon_value_options()
{
	case $1 in
	run) echo "--append --mem --vtl1-mem --cpus --timeout" ;;
	bench) echo "--runs --cr-period --cr-samples --cr-load" ;;
	policy) echo "--mem" ;;
	esac
}

# Is word $1 in the word list $2?
_vtlmon_in()
{
	local w
	for w in $2; do
		[[ $w == "$1" ]] && return 0
	done
	return 1
}

# COMPREPLY gets the file names that start with $1. With $2 (a glob such as '*.policy'):
# the files that match it and the directories, or every file if there are none.
_vtlmon_files()
{
	local cur=$1 glob=${2-} IFS=$'\n'
	compopt -o filenames 2>/dev/null
	if [[ $glob ]]; then
		COMPREPLY=($(compgen -f -X "!$glob" -- "$cur") $(compgen -d -- "$cur"))
		((${#COMPREPLY[@]})) || COMPREPLY=($(compgen -f -- "$cur"))
	else
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}

_vtlmon()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev="" cmd="" takes_arg i nargs=0
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()

	# --opt=value: COMP_WORDBREAKS splits it into the words --opt, = and value.
	if [[ $cur == "=" ]]; then
		cur=""
	elif [[ $prev == "=" ]] && ((COMP_CWORD > 1)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi

	# The sub-command is the first word after `vtlmon`.
	if ((COMP_CWORD == 1)); then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--version --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$_vtlmon_commands" -- "$cur"))
		fi
		return 0
	fi
	cmd=${COMP_WORDS[1]}
	_vtlmon_in "$cmd" "$_vtlmon_commands" || return 0

	# The argument of an option.
	if _vtlmon_in "$prev" "$(_vtlmon_file_options "$cmd")"; then
		case $prev in
		--policy) _vtlmon_files "$cur" '*.policy' ;;
		--events)
			_vtlmon_files "$cur"
			[[ $cur ]] || COMPREPLY+=(-) # standard output
			;;
		*) _vtlmon_files "$cur" ;;
		esac
		return 0
	fi
	_vtlmon_in "$prev" "$(_vtlmon_value_options "$cmd")" && return 0

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_vtlmon_options "$cmd")" -- "$cur"))
		return 0
	fi

	# Positional arguments: how many come before the word being completed.
	takes_arg="$(_vtlmon_file_options "$cmd") $(_vtlmon_value_options "$cmd")"
	for ((i = 2; i < COMP_CWORD; i++)); do
		[[ ${COMP_WORDS[i]} == -* || ${COMP_WORDS[i]} == "=" ||
			${COMP_WORDS[i - 1]} == "=" ]] && continue
		_vtlmon_in "${COMP_WORDS[i - 1]}" "$takes_arg" && continue
		nargs=$((nargs + 1))
	done
	case $cmd in
	help) ((nargs == 0)) && COMPREPLY=($(compgen -W "${_vtlmon_commands/help/}" -- "$cur")) ;;
	policy)
		if ((nargs == 0)); then
			COMPREPLY=($(compgen -W "check" -- "$cur"))
		elif ((nargs == 1)); then
			_vtlmon_files "$cur" '*.policy'
		fi
		;;
	inspect) ((nargs == 0)) && _vtlmon_files "$cur" ;;
	report) ((nargs == 0)) && _vtlmon_files "$cur" '*.jsonl' ;;
	esac
	return 0
}

complete -F _vtlmon vtlmon
