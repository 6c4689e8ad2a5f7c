/* SwiftPM needs a source file in a C target; the target exists to share sgdswift.h. */
#include "sgdswift.h"
