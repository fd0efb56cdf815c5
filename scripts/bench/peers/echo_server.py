"""B9's echo server on CPython asyncio streams, or on uvloop with --uvloop.

Run: python3 echo_server.py [--uvloop]
Prints its port, then serves until it is killed; echo.ts measures its CPU
time from outside. The handler is the same loop as the asyncio-ts server's.
"""

import asyncio
import sys


async def echo(reader, writer):
    while True:
        data = await reader.read(65536)
        if not data:
            break
        writer.write(data)
        await writer.drain()
    writer.close()


async def main():
    server = await asyncio.start_server(echo, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if "--uvloop" in sys.argv:
    import uvloop

    uvloop.install()
asyncio.run(main())
