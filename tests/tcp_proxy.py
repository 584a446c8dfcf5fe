"""A TCP proxy on 127.0.0.1 that a test can cut and restore, to take a
server (PostgreSQL, Redis) away from the processes that use it and give it
back, as a network outage would, or silence it, as a network that loses
every packet would."""

import socket
import threading


class TcpProxy:
    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = threading.Event()
        self.open.set()
        self.flowing = threading.Event()
        self.flowing.set()
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self.accept, daemon=True).start()

    def cut(self) -> None:
        """Drop every connection and refuse new ones until restore()."""
        self.open.clear()
        with self.lock:
            for sock in self.sockets:
                shut(sock)
            self.sockets.clear()

    def silence(self) -> None:
        """Pass nothing either way until restore(), new connections included:
        clients wait for their own timeouts, and what was held goes through
        on restore, as TCP's retransmissions would carry it."""
        self.flowing.clear()

    def restore(self) -> None:
        self.open.set()
        self.flowing.set()

    def close(self) -> None:
        self.cut()
        self.listener.close()

    def accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            if not self.open.is_set():
                shut(client)
                continue
            try:
                server = socket.create_connection(self.target)
            except OSError:
                shut(client)
                continue
            with self.lock:
                self.sockets |= {client, server}
            for source, sink in ((client, server), (server, client)):
                threading.Thread(
                    target=self.pipe, args=(source, sink), daemon=True
                ).start()

    def pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self.flowing.wait()
                sink.sendall(data)
        except OSError:
            pass
        shut(source)
        shut(sink)
        with self.lock:
            self.sockets -= {source, sink}


def shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
