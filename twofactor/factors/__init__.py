"""Second factors beside the phone: authenticator apps (TOTP) and backup codes."""
