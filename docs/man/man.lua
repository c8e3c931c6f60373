-- Pandoc Lua filter for the man pages (make man): the docs are written for a browser,
-- a man page is read in a terminal of any width.
--   * A table becomes a definition list (tbl's fixed column widths overflow 80 columns):
--     the first column is the term; with two columns the second is the definition and
--     the header row comes first, in bold; with more, each other column is a
--     "header: value" line of the definition.
--   * A link into the same document (#anchor) keeps only its text: a man page has no anchors.

local function cell_inlines(blocks)
  local out = pandoc.List()
  for i, b in ipairs(blocks) do
    if i > 1 then out:insert(pandoc.Space()) end
    if b.content then out:extend(b.content) end
  end
  return out
end

function Table(tbl)
  local t = pandoc.utils.to_simple_table(tbl)
  local ncol = #t.headers
  local items = pandoc.List()
  local function header(i) return pandoc.utils.stringify(t.headers[i]) end
  if ncol == 2 and header(1) ~= "" then
    items:insert({ { pandoc.Strong(cell_inlines(t.headers[1])) },
                   { { pandoc.Plain({ pandoc.Strong(cell_inlines(t.headers[2])) }) } } })
  end
  for _, row in ipairs(t.rows) do
    local term = cell_inlines(row[1])
    local def
    if ncol == 2 then
      def = { pandoc.Plain(cell_inlines(row[2])) }
    else
      def = pandoc.List()
      for c = 2, ncol do
        local line = pandoc.List({ pandoc.Str(header(c) .. ":"), pandoc.Space() })
        line:extend(cell_inlines(row[c]))
        if c > 2 then def:insert(pandoc.RawBlock("man", ".br")) end
        def:insert(pandoc.Plain(line))
      end
    end
    items:insert({ term, { def } })
  end
  return pandoc.DefinitionList(items)
end

function Link(link)
  if link.target:sub(1, 1) == "#" then return link.content end
end
