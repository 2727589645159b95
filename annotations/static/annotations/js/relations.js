/* Links between spans (a denial to the claim it denies) and the "seen before" panel (issue 7). */
