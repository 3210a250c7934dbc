"""cgmolct.simulate"""
