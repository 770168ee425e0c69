// LlmChatTool: placeholder being written; not registered yet.
#pragma once
