"""What the letter editor needs besides the form: the blocks it can insert, and the policies of its pages."""

from __future__ import annotations

from typing import Any

from crm.campaigns import blocks
from crm.security import CONTENT_SECURITY_POLICY

# A letter's HTML in a sandboxed frame: its inline styles, its images from this site (uploaded images) and data:,
# no script, nothing else from anywhere.
LETTER_FRAME_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; sandbox; "
                       "frame-ancestors 'self'")
# The editor page: the site's policy, except that styles written in an element's attribute apply. The live
# preview is a sandboxed frame filled from ``srcdoc``, and such a frame takes its page's policy: without this, the
# mail's inline styles (all of its layout) would be dropped. Scripts stay 'self' only.
EDITOR_POLICY = CONTENT_SECURITY_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


def block_choices() -> list[dict[str, Any]]:
    """For the toolbar's "card" buttons: each kind of card and what it can show."""
    return [{"keyword": keyword, "label": provider.label,
             "choices": [{"id": item_id, "label": label} for item_id, label in provider.choices()]}
            for keyword, provider in blocks.providers().items()]
