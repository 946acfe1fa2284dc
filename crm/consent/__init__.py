"""What each person agreed to: the consent ledger, subscription state, topics and the suppression list.

Shared by signup (writes), campaigns and events (read: who may receive what) and privacy (erasure).
"""
