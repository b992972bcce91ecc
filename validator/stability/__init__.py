"""The Stability AI models on Bedrock (docs/CONTRACT.md §S1-§S10): their ids, typed requests and checks.

A second request/response family beside Nova Canvas and Titan: flat snake_case bodies answered with
`{"seeds", "finish_reasons", "images"}` (and SDXL's older `text_prompts` body answered with `artifacts`).
"""
