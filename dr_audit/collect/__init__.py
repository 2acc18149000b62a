"""Sources that fill an Estate: live collection from Tencent Cloud (`live`) and Terraform inputs (`tfinput`, `hcl`,
`terraform`).

The package itself imports nothing, so reading a Terraform input does not load the live clients or the models.
"""
