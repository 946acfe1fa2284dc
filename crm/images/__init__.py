"""Images for letters: uploaded from the editor, checked and re-encoded, served at a stable public address.

``views.bp`` is the back office's upload (login required); ``views.public_bp`` serves ``/medias/<hash>.<ext>``.
"""

from flask import Blueprint

from crm.extensions import Feature
from crm.images import views

bp = Blueprint("images", __name__)
bp.register_blueprint(views.bp)
bp.register_blueprint(views.public_bp)

feature = Feature(name="images", blueprints=[bp])
