"""网格员专业化 and 多元治理: grid workers' profiles, training and points, the other forces, the duty list."""
