//! libnih's lexical rules for job files: tokens, quotes, continuations, comments, blocks.
