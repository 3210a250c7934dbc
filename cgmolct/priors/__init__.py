"""cgmolct.priors"""
