"""The journal of KSP list versions (hash chain, Merkle tree, signed checkpoints).

Built with issue 3; nothing here yet.
"""
