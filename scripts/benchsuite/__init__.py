"""Modules of scripts/bench-suite.py (`make bench`): the peers and Conduit
side by side through ../shared/bench's generator, receiver and peers."""
