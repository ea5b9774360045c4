"""Getting each digest to every reader once: the sender, its lock, its rows and its circuit."""
