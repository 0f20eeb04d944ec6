"""One spider per source; file name = spider name = ``<source>_<se|fi>``."""
