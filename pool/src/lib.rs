//! A runtime-agnostic connection pool: `Pool<C: Connect>`.
