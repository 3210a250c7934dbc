"""cgmolct.embed"""
