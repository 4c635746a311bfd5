"""Party organisation (党建引领): members and their households, activities, 书记领航 projects, indicators."""
