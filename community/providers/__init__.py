"""Service providers (养老 · 托育 · 家政 · 物业) registered per community: the requests
that name them, their figures and credit record, and their optional accounts."""
