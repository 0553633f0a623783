"""Ports for the servers the commands and tests start."""

from __future__ import annotations

import socket

from shared.processes import ephemeral_ports, free_ports


def test_server_ports_are_free_distinct_and_outside_the_range_the_kernel_hands_to_other_processes() -> None:
    # given the kernel's ephemeral range (connections and bind(0) of every other process draw from it)
    ephemeral = ephemeral_ports()
    # when a stack's worth of ports is chosen
    ports = free_ports(6)
    # then none can be handed to another process's connection meanwhile, none twice, and each can be bound now
    assert not [port for port in ports if port in ephemeral]
    assert len(set(ports)) == len(ports)
    for port in ports:
        with socket.socket() as server:
            server.bind(("127.0.0.1", port))
