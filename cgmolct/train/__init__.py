"""cgmolct.train"""
