// EmailSendTool: placeholder being written; not registered yet.
#include "EmailSendTool.h"
