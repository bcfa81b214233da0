"""HTTP(S) files read forward by byte ranges, never more than was asked.

A remote model over ``http://`` or ``https://`` is read here, with the
standard library, not through fsspec: fsspec's HTTP file reads a range's
answer whole, however long the server makes it (a server answering a range
with endless data filled 2.98 GB in 4.5 s, round 135). Here every answer is
read at most up to the bytes asked for, and the server's own account of them
is checked: a range answer must start where it was asked, end no later than
asked, hold as many bytes as it says, and describe the same file (size and
ETag) as the first answer. A server that ignores ranges (status 200) is read
as one stream from the start, with a :class:`RemoteRangeWarning` once more
than the first block is needed.

Waiting is bounded too, on all of a file's network work, not only its
body: a connection, or the next bytes, are waited for at most
:data:`NETWORK_TIMEOUT` seconds, and all of it together (resolving the host's
name, connecting, the TLS handshake, status lines, headers, any
``100 Continue`` before them, chunk framing and bodies alike, their parsing
included) may take, in wall time while the reader works,
:data:`NETWORK_TIMEOUT` seconds plus one second for every
:data:`SLOWEST_RATE` bytes of body delivered: a status line sent a byte
every 29 s, or endless ``100 Continue`` answers, held a load forever (round
137); counting only the time spent receiving let tiny answers sent fast, or
connects slow to be accepted, run past it (round 142).
An answer shorter than the range asked must end where the file does, so the
requests a file takes are its size over the block size. Redirects are
followed only to ``http`` and ``https``, at most :data:`MOST_REDIRECTS` of
them, their bodies unread; no proxy is used (as fsspec's HTTP reader used
none).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import http.client
import io
import ipaddress
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Iterator
from typing import Any

from versioned_estimator._errors import EnvelopeError

__all__ = [
    "MOST_REDIRECTS",
    "one_clock_per_url",
    "unreadable",
    "NETWORK_TIMEOUT",
    "SLOWEST_RATE",
    "HttpFile",
    "RemoteRangeWarning",
]

#: How long a read waits to connect, or for the next bytes, before it gives
#: up (aiohttp, under fsspec, waited 300 s by default: round 135).
NETWORK_TIMEOUT = 30.0

#: The slowest average an answer may arrive at, in bytes a second, once it
#: has had :data:`NETWORK_TIMEOUT` seconds of waiting: a server sending a byte
#: every 29 s is given up on, a slow link still reads (a 200 MB model at this
#: rate has over three hours).
SLOWEST_RATE = 16 * 1024

#: Redirects followed for one request.
MOST_REDIRECTS = 5

#: The most read from an answer in one step (one receive, at most).
_STEP = 1 << 20

# ASCII digits only, and at most 20 (``int`` reads other scripts' digits,
# and refuses superscripts ``isdigit`` calls digits: round 137)
_NUMBER = "([0-9]{1,20})"
_CONTENT_RANGE = re.compile(rf"bytes {_NUMBER}-{_NUMBER}/(?:{_NUMBER}|\*)")
_LENGTH = re.compile(_NUMBER)


class _TooSlow(TimeoutError):
    """A file's network work took longer than what it delivered allows."""


class _Clock:
    """The wall time spent in a file's network work (connecting, the TLS
    handshake, sending, receiving and parsing answers: whatever runs while
    :class:`HttpFile` asks or reads, timed with ``with clock:``), against
    the body bytes it delivered (counted by :class:`HttpFile`). The time
    the caller spends between reads is not counted."""

    def __init__(self) -> None:
        self.spent = 0.0
        self.body = 0
        self._since: float | None = None
        self._depth = 0

    def __enter__(self) -> _Clock:
        if not self._depth:
            self._since = time.monotonic()
        self._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if not self._depth and self._since is not None:
            self.spent += time.monotonic() - self._since
            self._since = None

    def used(self) -> float:
        running = time.monotonic() - self._since if self._since is not None else 0.0
        return self.spent + running

    def left(self) -> float:
        return NETWORK_TIMEOUT + self.body / SLOWEST_RATE - self.used()

    def wait(self) -> float:
        """How long the next step may wait: at most :data:`NETWORK_TIMEOUT`,
        and no longer than the time left; raises :class:`_TooSlow` when
        none is."""
        left = self.left()
        if left <= 0:
            raise self.too_slow()
        return min(NETWORK_TIMEOUT, left)

    def too_slow(self) -> _TooSlow:
        return _TooSlow(f"{self.body} bytes of body in {self.used():.0f} s")


#: While :func:`one_clock_per_url` runs: the clock of every URL opened.
_CLOCKS: contextvars.ContextVar[dict[str, _Clock] | None] = contextvars.ContextVar(
    "_CLOCKS", default=None
)


@contextlib.contextmanager
def one_clock_per_url() -> Iterator[None]:
    """Within it, every opening of one URL runs on one clock: a command that
    reads a file twice (the CLI's ``verify``: its head, then the whole)
    waits no longer for it than one read may (each opening its own clock,
    a server made it wait twice the bound, round 144)."""
    token = _CLOCKS.set({})
    try:
        yield
    finally:
        _CLOCKS.reset(token)


def _clock_for(url: str) -> _Clock:
    clocks = _CLOCKS.get()
    if clocks is None:
        return _Clock()
    return clocks.setdefault(url, _Clock())


class _TimedReader(io.RawIOBase):
    """A socket's bytes, each receive bounded by the clock's time left."""

    def __init__(self, sock: _TimedSocket) -> None:
        self._owner = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        clock, sock = self._owner.clock, self._owner.sock
        sock.settimeout(clock.wait())
        try:
            return sock.recv_into(buffer)
        except TimeoutError:
            if clock.left() <= 0:
                raise clock.too_slow() from None
            raise

    def close(self) -> None:
        if not self.closed:
            super().close()
            self._owner.reader_closed()


def _addresses(host: str, port: int, clock: _Clock) -> list[Any]:
    """``socket.getaddrinfo`` of a host name, waited for at most the time
    the clock leaves: a resolver cannot be interrupted from Python, so a
    name is resolved in a thread of its own, left behind when it runs out of
    time (a name resolving slowly was off the clock, each redirect to
    another such name one more wait). An address needs no resolver."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    answer: list[Any] = []

    def resolve() -> None:
        try:
            answer.append(socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM))
        except OSError as exc:
            answer.append(exc)

    resolver = threading.Thread(target=resolve, name="resolve", daemon=True)
    resolver.start()
    resolver.join(clock.wait())
    if not answer:
        raise clock.too_slow()
    found = answer[0]
    if isinstance(found, OSError):
        raise found
    addresses: list[Any] = found
    return addresses


def _connected(address: tuple[str, int], *args: Any, clock: _Clock) -> socket.socket:
    """A socket connected to ``address``, each of its addresses tried with
    the time the clock leaves (``socket.create_connection`` gives each the
    whole timeout, and a connect was not on the clock: a chain of redirects
    to hosts slow to accept took 117 s, round 142)."""
    host, port = address
    failed: OSError | None = None
    for family, kind, proto, _, where in _addresses(host, port, clock):
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(clock.wait())
            sock.connect(where)
        except OSError as exc:
            sock.close()
            if isinstance(exc, _TooSlow):
                raise
            failed = exc
            continue
        return sock
    raise failed or OSError(f"no address for {host!r}")


class _TimedSocket:
    """A connected socket whose answer is read through :class:`_TimedReader`;
    closed once the connection and every reader are done with it (urllib
    closes the connection's socket while the answer is still read)."""

    def __init__(self, sock: socket.socket, clock: _Clock) -> None:
        self.sock, self.clock = sock, clock
        self._readers = 0
        self._closing = False

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> Any:
        self._readers += 1
        return io.BufferedReader(_TimedReader(self))

    def reader_closed(self) -> None:
        self._readers -= 1
        if self._closing and self._readers <= 0:
            self.sock.close()

    def close(self) -> None:
        self._closing = True
        if self._readers <= 0:
            self.sock.close()

    def __getattr__(self, name: str) -> Any:  # sendall, settimeout...
        return getattr(self.sock, name)


class _TimedHTTP(http.client.HTTPConnection):
    """Connects within the time the clock leaves, then answers are read
    through :class:`_TimedSocket`."""

    def __init__(self, *args: Any, clock: _Clock, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clock = clock
        # (http.client sets it on the instance, to socket.create_connection)
        self._create_connection = functools.partial(_connected, clock=clock)

    def connect(self) -> None:
        super().connect()
        self.sock = _TimedSocket(self.sock, self.clock)


class _TimedHTTPS(_TimedHTTP, http.client.HTTPSConnection):
    """The same over TLS: the handshake waits at most the socket's timeout
    in all, the time the clock left at the connect."""


def _clock_of(request: urllib.request.Request) -> _Clock:
    """The file's clock, which every request ``HttpFile`` makes carries (a
    redirect's too): never a fresh one."""
    clock: _Clock = request.clock  # type: ignore[attr-defined]
    return clock


class _HTTP(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(functools.partial(_TimedHTTP, clock=_clock_of(req)), req)


class _HTTPS(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(functools.partial(_TimedHTTPS, clock=_clock_of(req)), req)


class RemoteRangeWarning(UserWarning):
    """A server ignored byte ranges: the whole file was read as one stream."""


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to HTTP(S): never to ``ftp://`` or ``file://``."""

    max_redirections = MOST_REDIRECTS

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        scheme = newurl.partition("://")[0].lower()
        if scheme not in ("http", "https"):
            raise EnvelopeError(
                f"{req.full_url!r} redirects to {newurl!r}: only http and https "
                "are followed."
            )
        problem = _url_problem(newurl)
        if problem is not None:
            raise EnvelopeError(f"{req.full_url!r} redirects to {newurl!r}: {problem}.")
        # Its body is not read (urllib reads it whole before it follows the
        # redirect: a redirect of endless body filled 2.9 GB, round 139).
        fp.close()
        redirected = super().redirect_request(req, fp, code, msg, headers, newurl)
        if redirected is not None:  # the range asked, and the clock, go with it
            redirected.clock = _clock_of(req)  # type: ignore[attr-defined]
            for name in ("Range", "Accept-encoding", "User-agent"):
                value = req.get_header(name)
                if value is not None:
                    redirected.add_unredirected_header(name, value)
        return redirected


def _opener() -> urllib.request.OpenerDirector:
    """HTTP and HTTPS only, no proxy, redirects within HTTP(S)."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler({}),
        _HTTP(),
        _HTTPS(),
        urllib.request.HTTPDefaultErrorHandler(),
        _Redirects(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def _url_problem(url: str) -> str | None:
    """Why ``url`` is not read (None when it is): the host and port checked
    are the ones urllib connects to. http.client reads a port of 115031 as
    49495 (round 144), and urllib decodes the host it connects to, so
    ``127.0.0.1%3A84036`` passed a check of the port and connected to 18500
    (round 146); a user name in the URL would be looked up as part of the
    host."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port  # raises on a port out of range or not digits
        host = parts.hostname
        if not host:
            return "it names no host"
        # What urllib gives http.client, and what http.client makes of it.
        given = urllib.request.Request(url).host
        connection = http.client.HTTPConnection(given)
    except (ValueError, http.client.HTTPException) as exc:
        return str(exc) or type(exc).__name__
    expected = (host, 80 if port is None else port)
    if (connection.host.lower(), connection.port) != expected:
        return (
            f"its host is read as {host!r} port {port} but would be reached "
            f"as {connection.host!r} port {connection.port} (a user name, or "
            "an encoded character, in the host)"
        )
    return None


def unreadable(url: str, exc: BaseException) -> EnvelopeError:
    """This package's error for whatever a transport raised reading ``url``:
    a server controls what the client meets (round 137: a ValueError
    escaped)."""
    reason = getattr(exc, "reason", None)  # urllib's URLError wraps
    if isinstance(exc, _TooSlow) or isinstance(reason, _TooSlow):
        return EnvelopeError(f"{url!r} sends too slowly: {exc}.")
    return EnvelopeError(f"{url!r} cannot be read: {type(exc).__name__}: {exc}.")


class HttpFile:
    """An HTTP(S) file read forward: ``read``, ``readinto``, ``seek`` ahead.

    The first block is asked for when the file is opened, so a missing file
    is an error at once and ``size`` is known (from the answer's
    ``Content-Range``) before the first read.
    """

    def __init__(self, url: str, block_size: int) -> None:
        self.url = self.name = url
        problem = _url_problem(url)
        if problem is not None:
            raise EnvelopeError(f"{url!r} is not a URL this package reads: {problem}.")
        self._block = max(int(block_size), 1)
        self._opener = _opener()
        self._position = 0  # of the next byte read returns
        self.size: int | None = None
        self._etag: str | None = None
        self._answer: Any = None  # the answer being read, if any
        self._at = 0  # the position of its next byte
        self._end: int | None = None  # where it stops (None: at the file's end)
        # Time spent receiving, against the body delivered: one clock for
        # the whole file, every request's answer on it (a server answering
        # each range with one byte made a request a byte, each with the time
        # of a fresh clock: 42 s for 100 KB, round 139).
        self._clock = _clock_for(url)
        self.streaming = False  # the server ignored ranges
        self._asked = 0  # the end of the first range asked of a streaming server
        self._warned = False
        self._ask(0, self._block)

    # -- requests -----------------------------------------------------------

    def unreadable(self, exc: BaseException) -> EnvelopeError:
        return unreadable(self.url, exc)

    def _ask(self, start: int, length: int) -> None:
        """Ask for ``length`` bytes from ``start``; the answer becomes the
        one read next (at the end of the file: none)."""
        self._drop()
        if self.size is not None and start >= self.size:
            return
        last = start + max(length, 1) - 1
        if self.size is not None:
            last = min(last, self.size - 1)
        request = urllib.request.Request(
            self.url,
            headers={
                "Range": f"bytes={start}-{last}",
                "Accept-Encoding": "identity",
                "User-Agent": "versioned-estimator",
            },
        )
        request.clock = self._clock  # type: ignore[attr-defined]
        try:
            with self._clock:
                answer = self._opener.open(request, timeout=NETWORK_TIMEOUT)
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 416 and start > 0:  # asked past the end
                return
            if exc.code in (404, 410):
                raise EnvelopeError(f"{self.url!r} does not exist.") from exc
            raise self.unreadable(exc) from exc
        except EnvelopeError:
            raise
        except Exception as exc:  # anything the server's bytes led to
            raise self.unreadable(exc) from exc
        try:
            self._accept(answer, start, last)
        except BaseException as exc:
            answer.close()
            if isinstance(exc, EnvelopeError) or not isinstance(exc, Exception):
                raise
            raise self.unreadable(exc) from exc

    def _accept(self, answer: Any, start: int, last: int) -> None:
        """Check an answer against what was asked, and read from it next."""
        if answer.status == 200:  # the whole file, from its start
            length = _header_int(answer, "Content-Length", self.url)
            self._same_file(length, answer.headers.get("ETag"))
            self._answer, self._at, self._end = answer, 0, length
            if not self.streaming:
                self.streaming, self._asked = True, last + 1
            if start:
                self._stream_warning()
                self._skip_answer(start)
            return
        if answer.status != 206:
            raise EnvelopeError(
                f"{self.url!r} answered a range request with status {answer.status}."
            )
        found = _CONTENT_RANGE.fullmatch(answer.headers.get("Content-Range", ""))
        if found is None:
            raise EnvelopeError(
                f"{self.url!r} answered a range request without a valid Content-Range."
            )
        first, final = int(found[1]), int(found[2])
        total = None if found[3] is None else int(found[3])
        short = final < last and (total is None or final + 1 < total)
        early = short and total is not None  # short of the end it says
        if first != start or not first <= final <= last or early:
            # Fewer bytes than asked only where the file ends: else one byte
            # an answer makes the server choose how many requests a load takes
            # (round 139).
            raise EnvelopeError(
                f"{self.url!r} answered bytes {first}-{final} when asked for "
                f"{start}-{last}."
            )
        if short:  # a file of unknown size ends where the short answer does
            total = final + 1
        length = _header_int(answer, "Content-Length", self.url)
        if length is not None and length != final - first + 1:
            raise EnvelopeError(
                f"{self.url!r} says {length} bytes for the range {first}-{final}."
            )
        self._same_file(total, answer.headers.get("ETag"))
        self._answer, self._at, self._end = answer, first, final + 1

    def _same_file(self, size: int | None, etag: str | None) -> None:
        """The file's size and ETag, as the first answer gave them; any later
        answer must give the same (the file changed while it was read)."""
        if size is not None and self.size is not None and size != self.size:
            raise EnvelopeError(
                f"{self.url!r} changed while it was read: {self.size} bytes, "
                f"then {size}."
            )
        if etag is not None and self._etag is not None and etag != self._etag:
            raise EnvelopeError(f"{self.url!r} changed while it was read (ETag).")
        if self.size is None:
            self.size = size
        if self._etag is None:
            self._etag = etag

    def _stream_warning(self) -> None:
        if not self._warned:
            self._warned = True
            warnings.warn(
                RemoteRangeWarning(
                    f"{self.url} does not serve byte ranges: reading the whole "
                    "file as one stream from its start."
                ),
                stacklevel=5,
            )

    def _drop(self) -> None:
        if self._answer is not None:
            self._answer.close()
            self._answer = None

    # -- reading ------------------------------------------------------------

    def _receive(self, most: int) -> bytes:
        """At most ``most`` bytes of the answer's body (one receive, and what
        framing precedes it); bounded in time by the request's clock."""
        asked = min(most, _STEP)
        try:
            with self._clock:
                data: bytes = self._answer.read1(asked)
        except Exception as exc:  # a reset, a timeout, chunks that lie
            raise self.unreadable(exc) from exc
        if len(data) > asked:
            # http.client reads a chunk size of -1 as "whatever is there":
            # read past every range asked, 2.6 GB from a 1.7 MB file (round
            # 146). An answer gives at most what was asked of it.
            raise EnvelopeError(
                f"{self.url!r} gave {len(data)} bytes when {asked} were read "
                "(its framing lies)."
            )
        self._clock.body += len(data)
        self._at += len(data)
        return data

    def _skip_answer(self, n: int) -> None:
        while n:
            data = self._receive(n)
            if not data:
                raise EnvelopeError(f"{self.url!r} ended early when read again.")
            n -= len(data)

    def _ready(self, n: int) -> bool:
        """An answer to read the next byte from; False at the file's end."""
        if self.streaming:
            if self._position + n > self._asked:
                self._stream_warning()
            if self._answer is None:  # not reached: a stream is read once
                return False
            return self._end is None or self._at < self._end
        if self._answer is None or self._at != self._position or self._at == self._end:
            self._ask(self._position, max(n, self._block))
        return self._answer is not None

    def read(self, n: int = -1) -> bytes:
        """At most ``n`` bytes (all that is left when negative); fewer only
        at the end."""
        if n < 0:
            parts = []
            while chunk := self.read(self._block):
                parts.append(chunk)
            return b"".join(parts)
        out = bytearray()
        while len(out) < n and self._ready(n - len(out)):
            most = n - len(out)
            if self._end is not None:
                most = min(most, self._end - self._at)
            data = self._receive(most)
            if not data:
                self._ended_early()
                break
            out += data
            self._position += len(data)
        return bytes(out)

    def readinto(self, view: memoryview) -> int:
        """Fill ``view`` (fewer bytes only at the end); the count read."""
        view = memoryview(view).cast("B")
        filled = 0
        while filled < view.nbytes:
            data = self.read(min(view.nbytes - filled, _STEP))
            if not data:
                break
            view[filled : filled + len(data)] = data
            filled += len(data)
        return filled

    def _ended_early(self) -> None:
        """An answer that stopped before the bytes it promised is an error;
        a stream of unknown length that stops is the file's end."""
        if self._end is not None or (
            self.size is not None and self._position < self.size
        ):
            raise EnvelopeError(
                f"{self.url!r} ended early: {self._position} bytes read of "
                f"{self.size if self.size is not None else 'more'}."
            )
        self._drop()

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move forward (never back: the file is read once, forward)."""
        target = offset + (self._position if whence == 1 else 0)
        if whence not in (0, 1) or target < self._position:
            raise ValueError("an HTTP file is read forward only.")
        if self.streaming or target - self._position <= _STEP:
            while self._position < target:
                if not self.read(min(target - self._position, _STEP)):
                    break
        else:
            self._position = target  # the next read asks from there
        return self._position

    def tell(self) -> int:
        return self._position

    def close(self) -> None:
        self._drop()


def _header_int(answer: Any, name: str, url: str) -> int | None:
    value = answer.headers.get(name)
    if value is None:
        return None
    found = _LENGTH.fullmatch(value.strip())
    if found is None:
        raise EnvelopeError(f"{url!r} sent {name}: {value[:40]!r}, not a length.")
    return int(found[1])
