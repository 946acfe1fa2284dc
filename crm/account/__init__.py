"""A back-office user's own account: the page to log out everywhere, and the forgotten-password flow by mail."""

from crm.account import views
from crm.extensions import Feature

feature = Feature(name="account", blueprints=[views.bp])
