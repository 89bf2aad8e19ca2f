"""Knowledge answers inside the dialogue: a card, a device's catalog fact, which condition a description fits.

A question mid-task is answered and the task's question follows (the slots are untouched); a question that
no card answers is declined, recorded as unanswered, with the task it was about one tap away.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from bot.domain import Answer as KnowledgeAnswer
from bot.domain import Button, Reply
from bot.engine.dialogue_parts import DialogueParts
from bot.engine.frames import FlowRunner
from bot.engine.turn import Turn
from bot.flows.model import Collect
from bot.nlu.commands import Answer, Command, Refuse, StartFlow, command_names
from bot.nlu.question_shape import question_parts, without_preamble

__all__ = ["Answering"]

MAX_OFFER_PAYLOAD_FACTS = 4  # facts carried by an "answer, then start the task" button
HALF_FOLLOW_UPS = 2  # two answers in one reply: the first two follow-ups of each
POINTS_AT_DEVICE = re.compile(r"\b(?:it|they|them|this one|that one)\b")
FOLLOW_UP_WORDS = 6  # a question this short, unanswered alone, is read with the last card's question


class Answering:
    """Answers questions for the dialogue manager; starting a task (an answer's fallback) is the manager's."""

    def __init__(self, parts: DialogueParts, runner: FlowRunner, start: Callable[[Turn, StartFlow], list[Reply]],
                 active_task: Callable[[Turn], str | None]) -> None:
        self.p, self.say, self.runner = parts, parts.responses, runner
        self.start, self.active_task = start, active_task

    def while_waiting(self, turn: Turn, commands: tuple[Command, ...]) -> list[Reply]:
        """While a person is being fetched, a question the cards answer is answered (nothing else happens)."""
        if len(commands) == 1 and isinstance(commands[0], Refuse):  # "even for parts?": still no, and still waiting
            turn.commands = command_names(commands)
            return [self.say.reply(f"refuse_{commands[0].rule}"), self.say.reply("still_waiting")]
        if len(commands) != 1 or not isinstance(commands[0], Answer) or commands[0].otherwise is not None:
            return []
        answer = self.p.answerer.answer(commands[0].question, dict(commands[0].context))
        if not answer.confident:
            return []
        turn.sources.extend(answer.sources)
        turn.commands = command_names(commands)
        return [self.say.reply("answer", self.follow_ups(tuple(f for f in answer.follow_ups if f[0] != "person")),
                               answer=answer.text, sources="; ".join(s.title for s in answer.sources)),
                self.say.reply("still_waiting")]

    def answer(self, turn: Turn, command: Answer) -> list[Reply]:
        """The answer to a question: which condition fits, a device's catalog fact, or a card; else a decline."""
        state = turn.state
        if command.fits_condition is not None:  # "would i choose fair?": what the description fits, by definition
            turn.intent = turn.intent or self.runner.pattern_intent(command, {})
            state.fallbacks = 0
            return [self.say.reply("condition_fits", self.offer(command.offer),
                                   condition=command.fits_condition.capitalize(),
                                   definition=self.say.text(f"condition_{command.fits_condition}"))]
        if command.device_fact is not None:
            reply = self.p.device_facts(*command.device_fact)
            if reply is not None:
                turn.intent = turn.intent or self.runner.pattern_intent(command, {})
                state.fallbacks = 0
                return [reply]
        flow = self.runner.active_flow(state)
        about = command.context.get("device_model") or (state.slots.get("device_model") if flow else state.last_device)
        device = self.p.shop.catalog.by_name(str(about)) if about else None
        beside = self.runner.flow_for(command.aside_of) if command.aside_of else None  # the task starting next
        journey = flow.journey if flow else beside.journey if beside else None
        context = {**command.context, "last_card": state.last_card, "journey": journey,
                   "device_category": device.category if device is not None else None}
        answer = self.p.answerer.answer(command.question, context)
        # the question without its lead-in ("n how long is it good for": the "n" asks nothing)
        asked = without_preamble(str(command.context.get("asked") or command.question))
        if len(asked.split()) <= FOLLOW_UP_WORDS:
            # "and fair?" after the grades: read it with what was talked about (the topic, then the question);
            # "which one's faster?" at the payout question: with what that question is about
            step = self.runner.awaited(state) if flow is not None else None
            # "will it work on verizon tho" after a comparison: about the device in view, as the shopper meant it
            in_view = (self.say.text("device_in_view_selling" if journey == "selling" else "device_in_view_buying",
                                     device_model=device.name),) \
                if device is not None and not command.context.get("device_model") else ()  # not when it names one
            cards = self.p.card_context.get(state.last_card or "", ())
            pointed = bool(POINTS_AT_DEVICE.search(asked.casefold()))  # "it", "they": the device, not the card
            topics = (*((step.topic,) if isinstance(step, Collect) and step.topic else ()),
                      *((*in_view, *cards) if pointed else (*cards, *in_view)))
            for before in topics:
                if answer.confident:
                    break
                answer = self.p.answerer.answer(f"{before} {asked}", {**context, "masked": None, "asked": None})
        answer = self._both_parts(command, context, answer)
        if command.unknown_device and command.device_fact is None:
            # "do you buy oneplus phones? i have a oneplus 11": what matters first is that we do not handle it
            turn.intent = turn.intent or self.runner.pattern_intent(command, {})
            return [self.say.reply("not_in_catalog", name=command.unknown_device,
                                   brands=" and ".join(self.p.shop.catalog.brands()))]
        if command.aside_of is not None and not answer.confident:
            return []  # beside a task it starts, a question no card is sure of is left to the task
        if answer.confident:
            if command.aside_of is None:  # beside a task, the turn is the task's
                turn.intent = turn.intent or self.runner.pattern_intent(command, {})
            state.fallbacks = 0
            state.last_card = answer.card_id or state.last_card
            offered = command.offer.slots.get("device_model") if command.offer is not None else None
            offered = offered or (command.context.get("device_model") if flow is None else None)
            if isinstance(offered, str) and self.p.shop.catalog.by_name(offered) is not None:
                # "can i sell my s21?" then "128, verizon"; "does the macbook come with a charger?" then "what
                # battery is guaranteed on it?" (a model we do not buy: no)
                state.last_device = offered
            turn.sources.extend(answer.sources)
            task = command.offer or command.otherwise
            if task is not None and task.slots and command.aside_of is None:
                state.pending = {"purpose": task.purpose, "slots": dict(task.slots)}
            # beside a task, the task's own question carries the buttons
            buttons = () if command.aside_of else self.offer(command.offer) or self.follow_ups(answer.follow_ups)
            return [self.say.reply("answer", buttons, answer=answer.text,
                                   sources="; ".join(s.title for s in answer.sources))]
        if command.otherwise is not None:
            return self.start(turn, command.otherwise)
        if not answer.known_words or command.off_topic:
            return self.runner.cannot_handle(turn)
        turn.store.record_unanswered(command.question, self.active_task(turn))
        if command.offer is not None and command.offer.slots:  # "it's the 64gb one" next: the task offered, with them
            state.pending = {"purpose": command.offer.purpose, "slots": dict(command.offer.slots)}
        state.fallbacks += 1
        declined = self.runner.run_pattern(turn, command)
        offer = self.offer(command.offer)
        if offer and declined:  # no answer, but the task the question was about is one tap away
            declined[-1] = replace(declined[-1], buttons=offer + declined[-1].buttons)
        return declined

    def _both_parts(self, command: Answer, context: Mapping[str, Any], whole: KnowledgeAnswer) -> KnowledgeAnswer:
        """"What's the warranty and can i return it?": both answers when each part has its own card."""
        parts = question_parts(command.question)
        if not parts:
            return whole
        answers = [self.p.answerer.answer(part, {**context, "masked": None}) for part in parts]
        sure = [a for a in answers if a.confident]
        if not whole.confident and len(sure) == 1:
            return sure[0]  # "is the bank transfer safe? and when would the money show up?": the part we know
        if len(sure) < len(answers) or len({a.card_id for a in answers}) < len(answers):
            return whole
        first, second = answers
        return replace(first, text=f"{first.text}\n\n{second.text}",
                       sources=tuple(dict.fromkeys(first.sources + second.sources)),
                       follow_ups=tuple(dict.fromkeys(first.follow_ups[:HALF_FOLLOW_UPS] + second.follow_ups[:HALF_FOLLOW_UPS])))

    def offer(self, start: StartFlow | None) -> tuple[Button, ...]:
        """After an answer, a button that starts the task the question was about, with its facts filled."""
        if start is None or self.runner.flow_for(start.purpose) is None:
            return ()
        device = start.slots.get("device_model")
        if device is not None and not (isinstance(device, str) and self.p.shop.catalog.by_name(device) is not None):
            return ()  # no "get a quote for my OnePlus 11" for a model we do not buy, nor for "my iphone" (which one?)
        facts = [f"{k}={v}" for k, v in start.slots.items() if isinstance(v, str | int) and "|" not in str(v)]
        payload = "|".join([f"f:{start.purpose}", *facts[:MAX_OFFER_PAYLOAD_FACTS]])
        name = f"start_{start.purpose}"
        return (Button(self.say.text(name, **start.slots), payload),) if name in self.say else ()

    def follow_ups(self, follow_ups: tuple[tuple[str, str], ...]) -> tuple[Button, ...]:
        """A card's follow-ups as buttons: a related card by its title, or a task / a person by name."""
        buttons = []
        for kind, title in follow_ups:
            if kind.startswith("card:"):
                buttons.append(Button(title, "k:" + kind.removeprefix("card:")))
            elif f"follow_{kind}" in self.say:
                buttons.extend(self.say.buttons(f"follow_{kind}"))
        return tuple(buttons)
