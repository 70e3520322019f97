"""Webhook delivery and the scheduler: claims outbox rows, signs, sends, retries; ``billfold worker``."""
