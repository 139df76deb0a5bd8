//! Conf directories: job names from paths, `.override` files, several dirs (first wins).
