"""Getting codes to phones: Twilio SMS and calls, their webhooks, the development outbox."""
