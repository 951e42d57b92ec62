"""The task ledger (预安销号) and schedule progress (时序进度) as the ``tasks`` source."""
