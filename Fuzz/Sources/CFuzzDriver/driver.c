// Nothing here: the target exists for its header (SwiftPM needs one source file per C target).
#include "CFuzzDriver.h"
