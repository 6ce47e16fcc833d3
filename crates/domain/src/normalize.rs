//! Text normalisation shared by forms, imports and discovery (owned by the ledger-import work).
