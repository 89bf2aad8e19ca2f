"""A logging filter that masks emails, phone numbers and IMEIs in every record, installed at start-up."""

from __future__ import annotations

import logging

from bot.nlu.text import mask_personal


class MaskPersonal(logging.Filter):
    """Masks personal values in a record's message, arguments, traceback and stack, then lets it through."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the message with its masked formatting (the args are consumed), and mask the traceback."""
        try:
            message = record.getMessage()
        except Exception:  # a record whose args do not fit its format: masked as it stands, never dropped
            message = f"{record.msg} {record.args}"
        record.msg, record.args = mask_personal(message), None
        if record.exc_info and not record.exc_text:
            # Formatted here so the handler's formatter reuses the masked text instead of formatting again
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal(record.stack_info)
        return True


def install_log_masking(logger: logging.Logger | None = None) -> MaskPersonal:
    """Put the filter on the logger's handlers (where every propagated record passes) and on the logger itself."""
    target = logger or logging.getLogger()
    mask = next((f for f in target.filters if isinstance(f, MaskPersonal)), None) or MaskPersonal()
    for holder in (target, *target.handlers):
        if mask not in holder.filters:
            holder.addFilter(mask)
    return mask
