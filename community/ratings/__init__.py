"""好差评: one rating per resolution, 差评 rectification cases and appeals."""
