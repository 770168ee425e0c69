// LlmChatTool: placeholder being written; not registered yet.
#include "LlmChatTool.h"
