"""HTTP plumbing shared by the native API and the vendor dialects: auth, transactions, idempotent creates."""
