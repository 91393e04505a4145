"""Chat-model backends: packaged GGUF models, local Hugging Face models, OpenAI-compatible servers.

``HF_HUB_OFFLINE`` is defaulted to ``1`` here, before transformers is
imported by the modules below, because deployments have no model hub: every
load passes ``local_files_only=True`` as well, but transformers also reaches
for the hub on its own (revision checks, optional kernels) and would wait on
network timeouts.  It is a default only, so a deployment that does have a
hub can set ``HF_HUB_OFFLINE=0``.  This is the one environment variable the
package touches.
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant.llm.chat_model import TransformersChatModel
from assistant.llm.factory import BackendUnavailableError, chat_model_from_settings
from assistant.llm.local import (
    LocalModel,
    LocalModelError,
    clear_loaded_models,
    load_local_model,
    safetensors_dir,
)
from assistant.llm.packaged import PACKAGED_MODELS, PackagedModelError, packaged_gguf

__all__ = [
    "PACKAGED_MODELS",
    "BackendUnavailableError",
    "LocalModel",
    "LocalModelError",
    "PackagedModelError",
    "TransformersChatModel",
    "chat_model_from_settings",
    "clear_loaded_models",
    "load_local_model",
    "packaged_gguf",
    "safetensors_dir",
]
