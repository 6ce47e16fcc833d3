//! Device-ledger spreadsheets (xlsx, xls, CSV in UTF-8 or Shift_JIS) to and from ledger rows.
