/* The vtlmon version: one place for `vtlmon --version` and whatever else names it. */
#ifndef MONITOR_BASE_VERSION_H
#define MONITOR_BASE_VERSION_H

#define VTLMON_VERSION "0.2.0"

#endif
