"""The web channel: one aiohttp server for the web chat, the support console, the Telegram webhook and the APIs."""
