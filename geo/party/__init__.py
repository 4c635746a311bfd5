"""Party organisation (党建引领): branch members and the households they keep in touch with, activities, 书记领航 projects and their indicators."""
