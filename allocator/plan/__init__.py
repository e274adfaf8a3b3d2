"""What a plan costs and whether it keeps the rules: pricing and the independent plan checker."""
