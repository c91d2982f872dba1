"""The local Bot API emulator (`duban emulator`): `server.Emulator` (the Bot API and its
rules), `client.EmulatorClient` (the control API, synchronously), `inprocess.InProcessRequest`
(python-telegram-bot against the emulator in the same event loop), `thread.EmulatorThread`,
`proxy.FlappingProxy`. Import them from their modules."""
