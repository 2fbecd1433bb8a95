// Nothing to call: the library works by being preloaded (see FaketimeTimerfdShim.c).
#pragma once
