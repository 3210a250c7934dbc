"""cgmolct.analysis"""
