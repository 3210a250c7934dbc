"""cgmolct.nn"""
