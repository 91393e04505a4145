"""The Gradio app: streamed chat, recommendation cards with Why?/feedback, and the profile.

The UI holds no business logic: every action is one call on
:class:`assistant.Assistant`.  On page load the assistant names the
conversation to continue: a logged-in user's, or the one of the signed token
this browser keeps in its local storage (``gr.BrowserState``); a returning
person sees a greeting from their stored profile, the chat so far and the
last list.  The conversation id itself stays on the server (``gr.State``).
Errors become a message in the chat, never a stack trace.  Only a reply with
a new list replaces the cards (and closes a Why panel that explained the old
ones); a why-question typed in the chat opens the panel as the Why? button does.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr
from PIL import Image

from assistant.api import Assistant
from assistant.errors import InvalidInput
from assistant.explain.welcome import Welcome
from assistant.sessions.visitors import Visit
from assistant.settings import Settings
from assistant.types import Recommendation, Reply
from ui.cards import CARDS_CSS, render_card, render_model_mark

LOGGER = logging.getLogger(__name__)
STREAM_FRAME_S = 0.1
"""Reply text that comes faster than this reaches the page in one update: Gradio rebuilds every output
component for each update, which under load cost the server more than the turn itself."""
EXAMPLES = [
    "I loved The Matrix and Blade Runner",
    "Something like Arrival, but not horror, after 2010",
    "A comedy from the 90s with Jim Carrey",
]
PROFILE_INTENTS = frozenset({"recommend", "more"})
"""Acts that may carry a preference; other replies refresh the profile only when they report one understood."""
FAILURE = "Sorry, something went wrong on my side. Your preferences so far are kept; please try again."
FORGOTTEN = "I deleted everything I had stored about you. This is a fresh start: tell me what you like."
NOT_FORGOTTEN = (
    "I could not finish deleting: a store did not answer. Please try Forget me again; "
    "what is left is still listed under you, so the retry finds it."
)
FORGET_WARNING = (
    "**Forget me?** This deletes your profile, our conversations, the lists I showed you and your "
    "Like/Not for me/Seen clicks, everywhere this service keeps them. It cannot be undone."
)
BROWSER_STORAGE_KEY = "concierge-visitor"
BUSY = (
    "_The language model is busy with {others} other turn(s); "
    "if its words take longer than {deadline} s, I answer without them._"
)

Messages = list[dict[str, str]]


class ConciergeUI:
    """Builds the Blocks and keeps the handlers next to the components they update."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.slots = assistant.settings.n_recommendations

    # Handlers ----------------------------------------------------------------

    def respond(self, message: str, history: Messages, session_id: str, shown: list[str]) -> Iterator[tuple[Any, ...]]:
        """Stream one turn into the chat; the finished :class:`Reply` goes to a state that :meth:`show_reply` reads.

        Only the chat and two states change while the text streams: Gradio
        rebuilds every output component on every update, so cards, Why panel
        and profile are updated once, after the reply, by the chained event.
        """
        said = [{"role": "user", "content": _echoed(message)}] if message.strip() else []
        history = [*history, *said, {"role": "assistant", "content": ""}]
        waiting = self._busy_notice()
        if waiting:
            history[-1]["content"] = waiting
            yield (history, "", shown, None)
        shown_at = 0.0
        try:
            for event in self.assistant.stream(session_id, message):
                if waiting:
                    history[-1]["content"], waiting = "", ""
                if isinstance(event, Reply):
                    history[-1]["content"] += render_model_mark(event.parts)
                    shown = [rec.item.id for rec in event.recommendations] or shown
                    yield (history, "", shown, event)
                else:
                    history[-1]["content"] += event
                    if time.monotonic() - shown_at >= STREAM_FRAME_S:
                        shown_at = time.monotonic()
                        yield (history, "", shown, None)
        except InvalidInput as exc:
            history[-1]["content"] = f"I could not take that message: {exc}."
            yield (history, _echoed(message), shown, None)
        except Exception:
            LOGGER.exception("turn failed")
            history[-1]["content"] = FAILURE
            yield (history, message, shown, None)

    def show_reply(self, reply: Reply | None, session_id: str) -> tuple[Any, ...]:
        """Cards, Why panel and profile for the reply :meth:`respond` finished; nothing changes without one."""
        return tuple(self._unchanged() if reply is None else self._reply_updates(session_id, reply))

    def _busy_notice(self) -> str:
        """What a person reads while their turn waits for the chat model; empty when it will not wait.

        A turn that finds the model free does not wait, and neither does one
        whose expected wait is past its deadline: its reply comes at once and
        says that the model was busy.
        """
        load = self.assistant.model_load()
        deadline = self.assistant.settings.model_deadline_s
        if not load.would_wait(deadline):
            return ""
        return BUSY.format(others=load.running + load.waiting, deadline=f"{deadline:g}")

    def why(self, slot: int, session_id: str, shown: list[str]) -> tuple[Any, ...]:
        """The Why? button of a card: the stored evidence of the film in that slot."""
        if slot >= len(shown):
            return tuple(self._closed_why())
        try:
            return tuple(self._why_updates(session_id, shown[slot]))
        except InvalidInput as exc:
            refused = f"I could not look that up: {exc}."
            return (gr.update(visible=True), gr.update(value=refused), gr.update(value=None, visible=False))

    def feedback(self, slot: int, kind: str, session_id: str, shown: list[str]) -> tuple[Any, ...]:
        if slot >= len(shown):
            return (gr.update(), gr.update(), *self._unchanged_profile())
        try:
            self.assistant.feedback(session_id, shown[slot], kind)  # type: ignore[arg-type]
        except InvalidInput as exc:
            return (gr.update(), gr.update(value=f"Not recorded: {exc}."), *self._unchanged_profile())
        notice = {
            "liked": "Noted: you liked this.",
            "disliked": "Removed. I won't suggest it again.",
            "seen": "Noted: you've seen it.",
        }[kind]
        visible = kind != "disliked"
        return (gr.update(visible=visible), gr.update(value=notice), *self._profile_updates(session_id))

    def remove_entry(self, choice: str | None, session_id: str) -> tuple[Any, ...]:
        if choice:
            section, field, value = choice.split("\x1f")
            self.assistant.update_profile(session_id, section, value, field or None)
        return tuple(self._profile_updates(session_id))

    def arrive(self, token: object, request: gr.Request) -> tuple[Any, ...]:
        """Page load: continue the person's conversation (by login, else by this browser's token), greeted."""
        visit = self.assistant.visit(request.username, token)
        welcome = self.assistant.welcome(visit.session_id)
        return self._screen(visit, _welcome_messages(welcome), welcome)

    def reset(self, visit: Visit) -> tuple[Any, ...]:
        """New session: a fresh conversation whose profile starts empty, the one this person now returns to."""
        return self._screen(self.assistant.new_session(visit), [], Welcome(greeting=None))

    def forget(self, visit: Visit) -> tuple[Any, ...]:
        """Confirmed Forget me: everything stored about the person goes, and a fresh conversation starts."""
        try:
            after = self.assistant.forget_visitor(visit)
        except Exception:
            LOGGER.exception("forget failed")
            kept = [gr.update()] * 5 + self._unchanged_slots() + self._unchanged_why() + self._unchanged_profile()
            return (*kept, gr.update(value=NOT_FORGOTTEN), gr.update(visible=False))
        return self._screen(after, [{"role": "assistant", "content": FORGOTTEN}], Welcome(greeting=None))

    def _screen(self, visit: Visit, messages: Messages, welcome: Welcome) -> tuple[Any, ...]:
        """Everything on screen for one conversation: browser token, visit, session, chat, cards, Why, profile, note."""
        return (
            visit.token,
            visit,
            visit.session_id,
            messages,
            [rec.item.id for rec in welcome.recommendations],
            *self._slot_updates(welcome.recommendations),
            *self._closed_why(),
            *self._profile_updates(visit.session_id),
            gr.update(value=self.assistant.storage_note(visit)),
            gr.update(visible=False),
        )

    # Update helpers -------------------------------------------------------

    def _reply_updates(self, session_id: str, reply: Reply) -> list[Any]:
        """Cards, Why panel and profile after a finished reply, in the order ``show_reply`` outputs them.

        A reply without a list (why, about, chat, thanks, or nothing found)
        leaves the cards alone, as the assistant's "the second one" still
        points at them; a new list closes the panel that explained the old one.
        """
        if reply.recommendations:
            cards, panel = self._slot_updates(reply.recommendations), self._closed_why()
        else:
            cards, panel = self._unchanged_slots(), self._unchanged_why()
        if reply.intent == "why" and reply.item_id:
            panel = self._why_updates(session_id, reply.item_id)
        changed = reply.intent in PROFILE_INTENTS or bool(reply.understood)
        profile = self._profile_updates(session_id) if changed else self._unchanged_profile()
        return [*cards, *panel, *profile]

    def _unchanged(self) -> list[Any]:
        return [*self._unchanged_slots(), *self._unchanged_why(), *self._unchanged_profile()]

    def _why_updates(self, session_id: str, item_id: str) -> list[Any]:
        """The Why panel opened on one suggestion: its stored evidence and, when it has graph paths, their picture."""
        answer = self.assistant.why(session_id, item_id)
        picture = self.assistant.why_picture(session_id, item_id)
        image = Image.open(io.BytesIO(picture)) if picture else None
        return [
            gr.update(visible=True),
            gr.update(value=answer.text),
            gr.update(value=image, visible=image is not None),
        ]

    def _closed_why(self) -> list[Any]:
        return [gr.update(visible=False), gr.update(value=""), gr.update(value=None, visible=False)]

    def _unchanged_why(self) -> list[Any]:
        return [gr.update()] * 3

    def _slot_updates(self, recommendations: tuple[Recommendation, ...] | list[Recommendation]) -> list[Any]:
        updates: list[Any] = []
        for slot in range(self.slots):
            if slot < len(recommendations):
                updates += [
                    gr.update(visible=True),
                    gr.update(value=render_card(slot + 1, recommendations[slot])),
                    gr.update(value=""),
                ]
            else:
                updates += [gr.update(visible=False), gr.update(value=""), gr.update(value="")]
        return updates

    def _unchanged_slots(self) -> list[Any]:
        return [gr.update()] * (3 * self.slots)

    def _profile_updates(self, session_id: str) -> list[Any]:
        entries = self.assistant.profile_entries(session_id)
        listing = "\n".join(f"- {entry.label}" for entry in entries) or "_Nothing yet. Tell me what you like._"
        choices = [(entry.label, "\x1f".join((entry.section, entry.field or "", entry.value))) for entry in entries]
        return [gr.update(value=listing), gr.update(choices=choices, value=None)]

    def _unchanged_profile(self) -> list[Any]:
        return [gr.update(), gr.update()]

    # Layout ---------------------------------------------------------------

    def build(self) -> gr.Blocks:
        with gr.Blocks(title="Concierge") as app:
            stored = gr.BrowserState(
                None, storage_key=BROWSER_STORAGE_KEY, secret=self.assistant.browser_storage_secret
            )
            visitor = gr.State()
            session = gr.State()
            shown = gr.State([])
            finished = gr.State(None)
            gr.Markdown(
                "## Concierge\nTell me what you like, and what you don't. "
                "I only suggest films from the catalogue, with the reasons I have."
            )
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=320):
                    chatbot = gr.Chatbot(label="Chat", height=440, elem_id="chat", group_consecutive_messages=False)
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
                    with gr.Accordion("What I learned about you", open=True, elem_id="profile"):
                        profile_list = gr.Markdown("_Nothing yet. Tell me what you like._", elem_id="profile-list")
                        with gr.Row():
                            entry = gr.Dropdown(label="Forget an entry", choices=[], scale=4, elem_id="profile-entry")
                            remove = gr.Button("Remove", size="sm", scale=1, elem_id="profile-remove")
                    with gr.Row():
                        new = gr.Button("New session", size="sm", elem_id="new-session")
                        forget = gr.Button("Forget me", size="sm", variant="stop", elem_id="forget")
                    with gr.Group(visible=False, elem_id="forget-confirm") as confirm:
                        gr.Markdown(FORGET_WARNING)
                        with gr.Row():
                            forget_yes = gr.Button("Yes, forget me", size="sm", variant="stop", elem_id="forget-yes")
                            forget_no = gr.Button("Cancel", size="sm", elem_id="forget-cancel")
                    note = gr.Markdown(elem_id="storage-note")
                with gr.Column(scale=2, min_width=300):
                    gr.Markdown("### Recommendations")
                    with gr.Group(visible=False, elem_id="why-panel") as why_panel:
                        why_text = gr.Markdown(elem_id="why-text")
                        why_image = gr.Image(
                            label="How it connects to what you liked",
                            type="pil",
                            height=340,
                            elem_id="why-picture",
                            interactive=False,
                            visible=False,
                        )
                        close_why = gr.Button("Close", size="sm", elem_id="why-close")
                    slot_components: list[Any] = []
                    buttons: list[tuple[gr.Button, gr.Button, gr.Button, gr.Button]] = []
                    for slot in range(self.slots):
                        with gr.Group(visible=False, elem_id=f"card-{slot + 1}") as group:
                            card = gr.HTML()
                            with gr.Row():
                                why = gr.Button("Why?", size="sm", min_width=50, elem_id=f"why-{slot + 1}")
                                up = gr.Button("Like", size="sm", min_width=50, elem_id=f"like-{slot + 1}")
                                down = gr.Button("Not for me", size="sm", min_width=50, elem_id=f"dislike-{slot + 1}")
                                seen = gr.Button("Seen it", size="sm", min_width=50, elem_id=f"seen-{slot + 1}")
                            status = gr.Markdown(elem_id=f"status-{slot + 1}")
                        slot_components += [group, card, status]
                        buttons.append((why, up, down, seen))
            profile_outputs = [profile_list, entry]
            why_outputs = [why_panel, why_text, why_image]
            for trigger, api_name in ((box.submit, "chat"), (send.click, "send")):
                trigger(
                    self.respond,
                    inputs=[box, chatbot, session, shown],
                    outputs=[chatbot, box, shown, finished],
                    api_name=api_name,
                ).then(
                    self.show_reply,
                    inputs=[finished, session],
                    outputs=[*slot_components, *why_outputs, *profile_outputs],
                    api_name=f"{api_name}_shown",
                )
            for slot, (why, up, down, seen) in enumerate(buttons):
                group, _, status = slot_components[3 * slot : 3 * slot + 3]
                why.click(
                    _bind(self.why, slot), inputs=[session, shown], outputs=why_outputs, api_name=f"why_{slot + 1}"
                )
                for button, kind in ((up, "liked"), (down, "disliked"), (seen, "seen")):
                    button.click(
                        _bind(self.feedback, slot, kind),
                        inputs=[session, shown],
                        outputs=[group, status, *profile_outputs],
                        api_name=f"{kind}_{slot + 1}",
                    )
            close_why.click(lambda: gr.update(visible=False), outputs=why_panel)
            remove.click(self.remove_entry, inputs=[entry, session], outputs=profile_outputs)
            screen = [stored, visitor, session, chatbot, shown, *slot_components, *why_outputs, *profile_outputs]
            screen += [note, confirm]
            new.click(self.reset, inputs=visitor, outputs=screen)
            forget.click(lambda: gr.update(visible=True), outputs=confirm)
            forget_no.click(lambda: gr.update(visible=False), outputs=confirm)
            forget_yes.click(self.forget, inputs=visitor, outputs=screen)
            app.load(self.arrive, inputs=stored, outputs=screen)
        return app


def _welcome_messages(welcome: Welcome) -> Messages:
    """The conversation so far, then the greeting; nothing on a first visit."""
    messages = [{"role": role, "content": content} for role, content in welcome.history]
    if welcome.greeting:
        messages.append({"role": "assistant", "content": welcome.greeting})
    return messages


def _echoed(text: str) -> str:
    """Text as the page can show it: undecodable bytes (lone surrogates) as escapes, which JSON can carry."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _bind(handler: Callable[..., Any], *fixed: Any) -> Callable[..., Any]:
    """Fix a slot index (and feedback kind) so each button calls the shared handler."""

    def bound(*values: Any) -> Any:
        return handler(*fixed, *values)

    return bound


def build_app(assistant: Assistant) -> gr.Blocks:
    return ConciergeUI(assistant).build()


def auth_pairs(settings: Settings) -> list[tuple[str, str]] | None:
    """Gradio's login list from the 'user:password,user2:password2' setting; None turns login off."""
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
        build_app(assistant).queue(default_concurrency_limit=settings.ui_concurrency).launch(
            server_name=host or settings.ui_host,
            server_port=port or settings.ui_port,
            auth=auth_pairs(settings),
            css=CARDS_CSS,
            footer_links=[],
        )
    finally:
        assistant.close()
