"""Sources that fill an Estate: live collection from Tencent Cloud (`live`) and Terraform inputs (`planinput`, which
reads plan JSON through `tfinput` and .tf files through `hcl`, and `terraform`, which maps them onto the Estate).

The package itself imports nothing, so reading a Terraform input does not load the live clients or the models.
"""
