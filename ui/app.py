"""The Gradio app: streamed chat and recommendation cards.

The UI holds no business logic: every action is one call on
:class:`assistant.Assistant`.  Each browser tab gets its own session id (a
``gr.State`` filled on page load), so two tabs never share a profile.
Errors become a message in the chat, never a stack trace.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import gradio as gr

from assistant.api import Assistant, InvalidInput
from assistant.settings import Settings
from assistant.types import Reply
from ui.cards import CARDS_CSS, render_cards

LOGGER = logging.getLogger(__name__)
EXAMPLES = [
    "I loved The Matrix and Blade Runner",
    "Something like Arrival, but not horror, after 2010",
    "A comedy from the 90s with Jim Carrey",
]

Messages = list[dict[str, str]]


def new_session_id() -> str:
    return f"web-{uuid.uuid4().hex}"


def build_app(assistant: Assistant) -> gr.Blocks:
    """Lay out the chat and the cards and wire them to ``assistant``."""

    def respond(message: str, history: Messages, session_id: str) -> Iterator[tuple[Messages, str, str]]:
        said = [{"role": "user", "content": message}] if message.strip() else []
        history = [*history, *said, {"role": "assistant", "content": ""}]
        cards = render_cards(())
        try:
            for event in assistant.stream(session_id, message):
                if isinstance(event, Reply):
                    cards = render_cards(event.recommendations)
                else:
                    history[-1]["content"] += event
                yield history, cards, ""
        except InvalidInput as exc:
            history[-1]["content"] = f"I could not take that message: {exc}."
            yield history, cards, message
        except Exception:
            LOGGER.exception("turn failed")
            history[-1]["content"] = "Sorry, something went wrong on my side. Your preferences so far are kept; please try again."
            yield history, cards, message

    def reset() -> tuple[str, Messages, str]:
        return new_session_id(), [], render_cards(())

    with gr.Blocks(title="Concierge") as app:
        session = gr.State()
        gr.Markdown("## Concierge\nTell me what you like, and what you don't. I only suggest films from the catalogue, with the reasons I have.")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=300):
                chatbot = gr.Chatbot(label="Chat", height=460, elem_id="chat")
                with gr.Row():
                    box = gr.Textbox(
                        placeholder="e.g. I loved The Matrix and Blade Runner",
                        show_label=False,
                        scale=5,
                        elem_id="message",
                        max_lines=4,
                    )
                    send = gr.Button("Send", variant="primary", scale=1, min_width=80, elem_id="send")
                gr.Examples(EXAMPLES, inputs=box)
                new = gr.Button("New session", size="sm", elem_id="new-session")
            with gr.Column(scale=2, min_width=280):
                gr.Markdown("### Recommendations")
                cards = gr.HTML(render_cards(()), elem_id="cards")
        app.load(new_session_id, outputs=session)
        for trigger in (box.submit, send.click):
            trigger(respond, inputs=[box, chatbot, session], outputs=[chatbot, cards, box])
        new.click(reset, outputs=[session, chatbot, cards])
    return app


def _auth(settings: Settings) -> list[tuple[str, str]] | None:
    if not settings.ui_auth:
        return None
    pairs = []
    for entry in settings.ui_auth.split(","):
        user, _, password = entry.partition(":")
        if not user or not password:
            raise ValueError("ui_auth must be 'user:password' pairs separated by commas")
        pairs.append((user.strip(), password.strip()))
    return pairs


def launch(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Build the assistant from ``settings`` and serve the UI until interrupted."""
    assistant = Assistant.from_settings(settings, progress=True)
    try:
        build_app(assistant).queue().launch(
            server_name=host or settings.ui_host,
            server_port=port or settings.ui_port,
            auth=_auth(settings),
            css=CARDS_CSS,
            footer_links=[],
        )
    finally:
        assistant.close()
