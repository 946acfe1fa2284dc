"""Who changed what, when: an append-only log shown on the timelines."""

from crm.extensions import Feature, PrivacyTable

feature = Feature(name="audit", privacy=[PrivacyTable("audit_logs", "Historique des modifications")])
